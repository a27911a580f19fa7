"""Companies and contacts: `companies.list/info/add/update`, `contacts.list/info/add/update`.

Source: notes §7.5 and §7.6 (filters, item fields, `info` extras, collections replaced on update,
no `payment_term` write field). The `vat_number` filter is normalised (the blueprint's filter example
is "BE 0899.623.035" while answers show "BE0899623035"); how is UNVERIFIED: here spaces, dots and
hyphens are ignored and case does not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from connector.testing.sandbox import Response

from .common import WEB, ApiError, id_list, invalid, iso, not_found, obj, parse_datetime, sort_spec, sorted_by
from .parties import Company, Contact, Party, _address
from .store import Store

T = TypeVar("T")

COMPANY_FIELDS = (
    "name", "business_type_id", "vat_number", "national_identification_number", "emails", "telephones",
    "website", "addresses", "iban", "bic", "language", "responsible_user_id", "remarks", "tags",
    "custom_fields", "marketing_mails_consent", "preferred_currency",
)  # fmt: skip

CONTACT_FIELDS = (
    "first_name", "last_name", "salutation", "emails", "telephones", "website", "addresses", "gender",
    "birthdate", "iban", "bic", "national_identification_number", "language", "remarks", "tags",
    "custom_fields", "marketing_mails_consent", "vat_number",
)  # fmt: skip

READ_ONLY = ("payment_term", "companies", "status")

"""Settable only through the admin seed: the API has no write field for them."""

LISTS = ("emails", "telephones", "addresses", "tags", "custom_fields")


def normalise_vat(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def _validated(body: dict[str, Any], allowed: tuple[str, ...], *, admin: bool) -> dict[str, Any]:
    names = allowed + READ_ONLY if admin else allowed
    result = {}
    for name in names:
        if name not in body:
            continue
        value = body[name]
        if name in LISTS and value is not None and not isinstance(value, list):
            raise invalid(name, f"{name} must be an array")
        if name == "emails":
            for position, entry in enumerate(value or []):
                if not isinstance(entry, dict) or not isinstance(entry.get("email"), str):
                    raise invalid(f"emails.{position}.email", "emails must be [{type, email}]")
        result[name] = [] if name in LISTS and value is None else value
    return result


def add_party(store: Store, kind: str, body: dict[str, Any], *, admin: bool = False) -> Party:
    now = store.now()
    given = body.get("id")
    ident: str = given if admin and isinstance(given, str) else store.ids.new()
    party: Party
    if kind == "company":
        fields = _validated(body, COMPANY_FIELDS, admin=admin)
        if not isinstance(fields.get("name"), str) or not fields["name"].strip():
            raise invalid("name", "Company name must not be empty")
        company = Company(ident, now, now, store.sequence(), fields)
        store.companies[ident] = party = company
    else:
        fields = _validated(body, CONTACT_FIELDS, admin=admin)
        if not isinstance(fields.get("last_name"), str) or not fields["last_name"].strip():
            raise invalid("last_name", "Contact last_name must not be empty")
        contact = Contact(ident, now, now, store.sequence(), fields)
        store.contacts[ident] = party = contact
    party.fields.setdefault("status", "active")
    if admin and isinstance(body.get("added_at"), str):
        party.added_at = party.updated_at = parse_datetime(body["added_at"], "added_at")
    store.emit(f"{kind}.added", kind, ident)
    return party


def update_party(store: Store, kind: str, body: dict[str, Any]) -> None:
    collection: dict[str, Any] = store.companies if kind == "company" else store.contacts
    ident = body.get("id")
    party = collection.get(ident) if isinstance(ident, str) else None
    if party is None:
        raise not_found(kind.capitalize(), ident)
    fields = _validated(body, COMPANY_FIELDS if kind == "company" else CONTACT_FIELDS, admin=False)
    if kind == "company" and "name" in fields and not (fields["name"] or "").strip():
        raise invalid("name", "Company name must not be empty")
    party.fields.update(fields)
    party.updated_at = store.now()
    store.emit(f"{kind}.updated", kind, party.id)


def _common(party: Party, kind: str) -> dict[str, Any]:
    return {
        "id": party.id,
        "status": party.get("status") or "active",
        "emails": party.emails(),
        "telephones": list(party.get("telephones") or []),
        "website": party.get("website"),
        "primary_address": party.primary_address(),
        "iban": party.get("iban"),
        "bic": party.get("bic"),
        "national_identification_number": party.get("national_identification_number"),
        "language": party.get("language"),
        "payment_term": party.get("payment_term"),
        "invoicing_preferences": {"electronic_invoicing_address": None},
        "tags": list(party.get("tags") or []),
        "added_at": iso(party.added_at),
        "updated_at": iso(party.updated_at),
        "web_url": f"{WEB}/{kind}_detail.php?id={party.id}",
    }


def company_json(company: Company, *, info: bool = False) -> dict[str, Any]:
    business_type, user = company.get("business_type_id"), company.get("responsible_user_id")
    data = {
        "name": company.name,
        "business_type": {"type": "businessType", "id": business_type} if business_type else None,
        "vat_number": company.get("vat_number"),
        "preferred_currency": company.get("preferred_currency"),
        "responsible_user": {"type": "user", "id": user} if user else None,
        "marketing_mails_consent": bool(company.get("marketing_mails_consent")),
        **_common(company, "company"),
    }
    if info:
        data["addresses"] = [
            {"type": entry.get("type"), "address": _address(entry.get("address") or {})}
            for entry in company.addresses()
        ]
        data["remarks"] = company.get("remarks")
        data["custom_fields"] = list(company.get("custom_fields") or [])
    return data


def contact_json(contact: Contact, *, info: bool = False) -> dict[str, Any]:
    data = {
        "first_name": contact.get("first_name"),
        "last_name": contact.get("last_name"),
        "salutation": contact.get("salutation"),
        "gender": contact.get("gender") or "unknown",
        "birthdate": contact.get("birthdate"),
        **_common(contact, "contact"),
    }
    if info:
        data["vat_number"] = contact.get("vat_number")
        data["addresses"] = [
            {"type": entry.get("type"), "address": _address(entry.get("address") or {})}
            for entry in contact.addresses()
        ]
        data["companies"] = [
            {
                "position": link.get("position"),
                "secondary_position": link.get("secondary_position"),
                "division": link.get("division"),
                "decision_maker": bool(link.get("decision_maker")),
                "company": {"type": "company", "id": link.get("company_id")},
            }
            for link in contact.get("companies") or []
        ]
        data["remarks"] = contact.get("remarks")
        data["custom_fields"] = list(contact.get("custom_fields") or [])
        data["marketing_mails_consent"] = bool(contact.get("marketing_mails_consent"))
    return data


def by_ids(collection: Mapping[str, T], flt: dict[str, Any]) -> Iterable[T]:
    """What a list call looks at: with `filter.ids`, those (by key, not a scan of the account; the
    list is sorted afterwards, so the answer is the same), else everything."""
    if "ids" not in flt:
        return collection.values()
    return [collection[ident] for ident in id_list(flt["ids"], "filter.ids") if ident in collection]


def _matches_common(party: Party, flt: dict[str, Any]) -> bool:
    if "updated_since" in flt and party.updated_at < parse_datetime(
        flt["updated_since"], "filter.updated_since"
    ):
        return False
    if "tags" in flt:
        tags = flt["tags"]
        if not isinstance(tags, list):
            raise invalid("filter.tags", "filter.tags must be an array")
        if not set(tags) <= set(party.get("tags") or []):
            return False
    if "status" in flt and (party.get("status") or "active") != flt["status"]:
        return False
    if "email" in flt:
        wanted = flt["email"].get("email") if isinstance(flt["email"], dict) else flt["email"]
        if not isinstance(wanted, str):
            raise invalid("filter.email", "filter.email must be {type: primary, email}")
        if wanted.lower() not in {(entry.get("email") or "").lower() for entry in party.emails()}:
            return False
    return True


def _term_hit(party: Party, term: Any, extra: list[str | None]) -> bool:
    if not isinstance(term, str):
        raise invalid("filter.term", "filter.term must be a string")
    haystack = [*extra, *(entry.get("email") for entry in party.emails())]
    haystack += [entry.get("number") for entry in party.get("telephones") or []]
    return any(term.lower() in (value or "").lower() for value in haystack)


def companies_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    result = []
    for company in by_ids(store.companies, flt):
        if not _matches_common(company, flt):
            continue
        if "vat_number" in flt and normalise_vat(company.get("vat_number")) != normalise_vat(
            flt["vat_number"]
        ):
            continue
        nin = flt.get("national_identification_number")
        if nin is not None and company.get("national_identification_number") != nin:
            continue
        if "term" in flt and not _term_hit(company, flt["term"], [company.name, company.get("vat_number")]):
            continue
        result.append(company)
    spec = sort_spec(body, ("name", "added_at", "updated_at"), "name")
    ordered = sorted_by(
        sorted(result, key=lambda item: item.sequence),
        spec,
        lambda item, name: item.name.lower() if name == "name" else getattr(item, name),
    )
    return Response.json({"data": [company_json(item) for item in store.paging.page(body, ordered)]})


def contacts_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    result = []
    for contact in by_ids(store.contacts, flt):
        if not _matches_common(contact, flt):
            continue
        if "company_id" in flt:
            linked = {link.get("company_id") for link in contact.get("companies") or []}
            if flt["company_id"] not in linked:
                continue
        if "term" in flt and not _term_hit(contact, flt["term"], [contact.name]):
            continue
        result.append(contact)
    spec = sort_spec(body, ("name", "added_at", "updated_at"), "name")

    def key(item: Contact, name: str) -> Any:
        if name == "name":
            return ((item.get("last_name") or "").lower(), (item.get("first_name") or "").lower())
        return getattr(item, name)

    ordered = sorted_by(sorted(result, key=lambda item: item.sequence), spec, key)
    return Response.json({"data": [contact_json(item) for item in store.paging.page(body, ordered)]})


def companies_info(store: Store, body: dict[str, Any]) -> Response:
    company = store.companies.get(body.get("id"))  # type: ignore[arg-type]
    if company is None:
        raise not_found("Company", body.get("id"))
    return Response.json({"data": company_json(company, info=True)})


def contacts_info(store: Store, body: dict[str, Any]) -> Response:
    contact = store.contacts.get(body.get("id"))  # type: ignore[arg-type]
    if contact is None:
        raise not_found("Contact", body.get("id"))
    return Response.json({"data": contact_json(contact, info=True)})


def companies_add(store: Store, body: dict[str, Any]) -> Response:
    company = add_party(store, "company", body)
    return Response.json({"data": {"type": "company", "id": company.id}}, 201)


def contacts_add(store: Store, body: dict[str, Any]) -> Response:
    contact = add_party(store, "contact", body)
    return Response.json({"data": {"type": "contact", "id": contact.id}}, 201)


def companies_update(store: Store, body: dict[str, Any]) -> Response:
    update_party(store, "company", body)
    return Response.empty(204)


def contacts_update(store: Store, body: dict[str, Any]) -> Response:
    update_party(store, "contact", body)
    return Response.empty(204)


def contacts_link_to_company(store: Store, body: dict[str, Any]) -> Response:
    """`contacts.linkToCompany {id, company_id, position?, decision_maker?}` → 204. Linking again to
    the same company replaces that link (the API portal documents no error for it)."""
    contact = store.contacts.get(body.get("id"))  # type: ignore[arg-type]
    if contact is None:
        raise not_found("Contact", body.get("id"))
    company = store.companies.get(body.get("company_id"))  # type: ignore[arg-type]
    if company is None:
        raise not_found("Company", body.get("company_id"))
    links = [link for link in contact.get("companies") or [] if link.get("company_id") != company.id]
    links.append(
        {
            "company_id": company.id,
            "position": body.get("position"),
            "decision_maker": bool(body.get("decision_maker")),
        }
    )
    contact.fields["companies"] = links
    contact.updated_at = store.now()
    store.emit("contact.linkedToCompany", "contact", contact.id)
    return Response.empty(204)


def invoicee(store: Store, kind: str, ident: str) -> dict[str, Any]:
    """The customer's name, VAT number and invoicing e-mail as an invoice shows them."""
    party: Party | None = (store.companies if kind == "company" else store.contacts).get(ident)
    if party is None:
        raise ApiError(400, f"Customer {ident} does not exist", field="invoicee.customer.id")
    return {
        "name": party.name,  # type: ignore[attr-defined]
        "vat_number": party.get("vat_number"),
        "email": party.email("invoicing"),
        "national_identification_number": party.get("national_identification_number"),
    }
