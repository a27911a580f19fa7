"""CRM accounts and contacts: create and update as Exact validates them (notes §6.3, §6.4)."""

from __future__ import annotations

from typing import Any

from .odata import ODataError, coerce
from .schema import ACCOUNT, CONTACT, EntityType
from .store import Division, Row, Store

CODE_WIDTH = 18
READ_ONLY = {"ID", "Created", "Modified", "Division", "Timestamp", "CountryName", "FullName", "AccountName"}


def check_properties(entity: EntityType, payload: Any) -> dict[str, Any]:
    """Reject a body that is not an object, or names a property the type lacks (WCF Data Services)."""
    if not isinstance(payload, dict):
        raise ODataError(
            400, "Error processing request stream. The request should be a valid top-level resource object."
        )
    known = set(entity.fields) | set(entity.navigation) | {"__metadata"}
    for name in payload:
        if name not in known:
            raise ODataError(
                400,
                f"Error processing request stream. The property '{name}' specified for type "
                f"'{entity.type_name}' is not valid.",
            )
    return payload


def writable(entity: EntityType, payload: dict[str, Any], read_only: set[str] = READ_ONLY) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in payload.items():
        if name in read_only or name not in entity.fields:
            continue
        try:
            values[name] = coerce(entity.fields[name], value)
        except (TypeError, ValueError) as error:
            raise ODataError(
                400, f"Error processing request stream. Invalid value for property '{name}': {value!r}."
            ) from error
    return values


def pad_code(code: Any) -> str:
    """Account codes are 18 characters, right-aligned with leading spaces ("              1068")."""
    return str(code).strip().rjust(CODE_WIDTH)


def next_account_code(division: Division) -> str:
    return pad_code(division.table("accounts").indexes["Code"].highest_number() + 1)


def save_account(
    store: Store, division: Division, payload: dict[str, Any], status: int, row: Row | None = None
) -> Row:
    """Create (row None) or update an account; Exact gives the next free code when none is sent."""
    values = writable(ACCOUNT, check_properties(ACCOUNT, payload))
    errors = []
    name = values.get("Name", row["Name"] if row else None)
    if not name or not str(name).strip():
        errors.append("Verplicht: Naam")
    if "Code" in values:
        values["Code"] = pad_code(values["Code"]) if values["Code"] else None
    if values.get("Code"):
        clash = division.find("accounts", Code=values["Code"])
        if clash is not None and clash is not row and clash["Code"] == values["Code"]:
            errors.append("Gegeven bestaat reeds.")
    if errors:
        raise ODataError(status, "\r\n".join(errors))
    if row is not None:
        return store.touch("accounts", row, **values)
    account: Row = {name: None for name in ACCOUNT.fields}
    account.update(IsSales=False, IsSupplier=False, Blocked=False, Status="A", Type="A")
    account.update(values)
    if not account.get("Code"):
        account["Code"] = next_account_code(division)
    account.pop("ID", None)
    return store.insert(division, "accounts", account)


def save_contact(
    store: Store, division: Division, payload: dict[str, Any], status: int, row: Row | None = None
) -> Row:
    """Create or update a contact: "Provide at least first name or last name to create a new contact"."""
    values = writable(CONTACT, check_properties(CONTACT, payload))
    merged = {**(row or {}), **values}
    errors = []
    if not (merged.get("FirstName") or merged.get("LastName")):
        errors.append("Verplicht: Achternaam")
    account = None
    if merged.get("Account"):
        account = division.table("accounts").get(merged["Account"])
        if account is None:
            errors.append("Ongeldige referentie: Relatie")
    if errors:
        raise ODataError(status, "\r\n".join(errors))
    if "Email" in values:
        values["BusinessEmail"] = values["Email"]
    if "Phone" in values:
        values["BusinessPhone"] = values["Phone"]
    full = " ".join(part for part in (merged.get("FirstName"), merged.get("LastName")) if part)
    values.update(FullName=full, AccountName=account["Name"] if account else None)
    if row is not None:
        return store.touch("contacts", row, **values)
    contact: Row = {name: None for name in CONTACT.fields}
    contact["IsMainContact"] = False
    contact.update(values)
    contact.pop("ID", None)
    return store.insert(division, "contacts", contact)
