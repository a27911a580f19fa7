"""Companies and contacts as the simulated account keeps them (what `crm` serves and `store` holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Party:
    """What companies and contacts share: an id, their fields as written, and timestamps."""

    id: str
    added_at: datetime
    updated_at: datetime
    sequence: int
    fields: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    def emails(self) -> list[dict[str, str]]:
        return list(self.fields.get("emails") or [])

    def email(self, preferred: str = "invoicing") -> str | None:
        emails = self.emails()
        for entry in emails:
            if entry.get("type") == preferred:
                return entry.get("email")
        return emails[0].get("email") if emails else None

    def addresses(self) -> list[dict[str, Any]]:
        return list(self.fields.get("addresses") or [])

    def primary_address(self) -> dict[str, Any] | None:
        addresses = self.addresses()
        for entry in addresses:
            if entry.get("type") == "primary":
                return _address(entry.get("address") or {}, addressee=False)
        return _address(addresses[0].get("address") or {}, addressee=False) if addresses else None


class Company(Party):
    @property
    def name(self) -> str:
        return str(self.fields.get("name") or "")


class Contact(Party):
    @property
    def name(self) -> str:
        parts = (self.fields.get("first_name"), self.fields.get("last_name"))
        return " ".join(part for part in parts if part)


def _address(address: dict[str, Any], *, addressee: bool = True) -> dict[str, Any]:
    area = address.get("area_level_two_id")
    result = {
        "line_1": address.get("line_1"),
        "postal_code": address.get("postal_code"),
        "city": address.get("city"),
        "country": address.get("country"),
        "area_level_two": {"type": "area_level_two", "id": area} if area else None,
    }
    if addressee:
        result["addressee"] = address.get("addressee")
    return result
